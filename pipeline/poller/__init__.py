"""poller"""
