"""The one error the lab raises for anything a user can fix."""


class LabError(Exception):
    """Bad input or a missing prerequisite, found before (or while) building the lab."""
