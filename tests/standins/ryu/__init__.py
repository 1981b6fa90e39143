"""A stand-in for Ryu where Ryu 4.34 cannot run (Python 3.10+): os-ken's code under Ryu's names.

Only what loading an app needs: RyuApp is a class of its own, so an app that
subclasses os-ken's OSKenApp is not found by this AppManager - as with the real Ryu.
"""
