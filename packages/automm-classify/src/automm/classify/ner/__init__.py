"""Named-entity recognition (``problem_type="ner"``): character spans in, BIO token classification inside."""
