"""5. Stored pages: each extracted page saved with its event while the job still holds the
book."""
