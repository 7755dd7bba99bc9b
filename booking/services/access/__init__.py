"""Who may come in: users and passwords, logins and their rate limit, API and link tokens."""
