"""Present in sys.modules while ryu-manager runs."""
