"""Autocomplete tracking: the suggestions Google and Bing show for a brand's terms, week by week,
with the negative ones labelled, charted and alerted on when they first appear."""
