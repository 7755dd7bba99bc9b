"""Arriving prepared (issue 14 §4): what each category is asked and brings, the documents a
business uploads, and the agenda of a forum afternoon."""
