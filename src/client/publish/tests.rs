//! Unit tests of the publish rules.
