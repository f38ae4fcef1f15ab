"""The Microsoft Teams front end: every botbuilder type stays inside this folder."""
