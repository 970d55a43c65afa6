//! The walkable road network as the engine uses it.
//!
//! Readers (`lc-osm`, `lc-tables`) produce a [`RawNetwork`]: external node ids, WGS-84
//! positions and undirected edges with lengths in metres. [`Graph::build`] turns it into a
//! compact, immutable adjacency array (CSR) on dense `u32` node indices, dropping self-loops
//! and, by default, everything outside the largest connected component.
//! [`Snapper`] places points (communities, facilities) on the graph, on the nearest edge or
//! the nearest node. [`cache`] encodes a built graph to bytes and back.
//!
//! **Architecture invariant:** no file or network I/O here; the caller reads and writes bytes.

pub mod cache;
mod graph;
mod snap;

pub use graph::{BuildOptions, BuildReport, Edge, Graph, NetworkError, RawEdge, RawNetwork};
pub use snap::{Anchor, SnapMode, Snapper, NO_EDGE};
