"""Cases (ärenden): registering and editing them, who may read what of them, their status."""
