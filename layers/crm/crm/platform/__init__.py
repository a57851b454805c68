"""Cross-cutting plumbing: settings, AWS clients, keys, errors, HTTP, auth, pagination."""
