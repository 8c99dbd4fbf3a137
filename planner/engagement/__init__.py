"""Engagement read back from the platforms after publishing, the analytics pages, and windows
learned from a channel's own engagement."""
