"""The ICS feeds: stored pieces and bodies, membership, invalidation, secret feed tokens."""
