// Replaced by the module's real tests.
