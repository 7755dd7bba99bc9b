"""Meetings: proposing slots, booking, attendees, moving, cancelling; the coordinator's overview."""
