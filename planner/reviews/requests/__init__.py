"""Review requests: one e-mail (and at most one reminder) to each customer asking for a review."""
