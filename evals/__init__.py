"""Retrieval evaluation: question sets, BEIR loading, metrics, TREC run files and reports."""
