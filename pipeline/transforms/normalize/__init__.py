"""transforms/normalize"""
