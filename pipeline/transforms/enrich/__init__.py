"""transforms/enrich"""
