//! Network reachability analysis: which ports of which hosts the internet can reach, and the
//! exact path of components that lets it.

pub mod model;

pub use model::Model;
