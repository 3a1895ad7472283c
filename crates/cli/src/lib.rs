//! The `trueshot` command line and web service: glue between the library crates, argument
//! parsing, output, and `trueshot serve` (the HTTP API and page for HR teams and employees).
//!
//! A library as well as a binary so that the server's router can be tested in-process
//! (`tower::ServiceExt::oneshot`) by the integration tests.

pub mod cards;
pub mod check;
pub mod credentials;
pub mod fetch;
pub mod guide;
pub mod process;
pub mod serve;
pub mod session;
pub mod verify;
