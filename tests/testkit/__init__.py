"""Tests of the test kit itself: the stand-ins must answer as the real servers do."""
