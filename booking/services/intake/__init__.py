"""The door in (issue 14): contact requests, their confirmation, routing and triage."""
