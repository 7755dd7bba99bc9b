"""Invitations: the outbox, delivery over CalDAV and iMIP, and the replies (all must reply)."""
