"""The one place that turns our data into iCalendar (UIDs, SEQUENCE, VTIMEZONE, texts)."""
