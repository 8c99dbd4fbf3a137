"""Promoted reviews: import, sentiment, ranking, the inbox, promotion and the public page."""
