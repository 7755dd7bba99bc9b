"""Pure domain rules: no framework, no database, stdlib and dateutil only."""
