"""Helpers shared by several test folders: fresh databases cloned from templates
(``databases``), committed bearer tokens (``tokens``) and notebook execution (``notebooks``)."""
