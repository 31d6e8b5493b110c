"""Imported by Python at start-up when this folder is on PYTHONPATH (as in the test run)."""
import course_netguard

course_netguard.install()
