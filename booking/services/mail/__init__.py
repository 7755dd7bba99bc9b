"""Mail texts rendered from templates that live next to each feature."""
