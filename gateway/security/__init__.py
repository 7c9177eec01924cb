"""Security building blocks: personal-data encryption, masking, request hardening."""
