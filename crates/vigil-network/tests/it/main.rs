//! Integration tests of `vigil-network`: hand-built topologies per rule kind, the AWS JSON
//! fixtures, the YAML example, and the property test (exposures agree with the predicate).

mod aws;
mod common;
mod property;
mod rules;
mod yaml;
