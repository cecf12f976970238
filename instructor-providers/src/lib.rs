//! Provider clients for instructor.
