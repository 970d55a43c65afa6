//! livingcircle's CSV formats: network, communities and facilities in; atomic files out.
//!
//! | file | columns (required, then optional) |
//! |---|---|
//! | `nodes.csv` | `id,lon,lat` |
//! | `edges.csv` | `from,to,length_m` |
//! | `communities.csv` | `id,name,lon,lat,population` + `households,elderly,children_0_3,division_code` |
//! | `facilities.csv` | `id,name,category,lon,lat` + `capacity,floor_area_m2,provider_code` |
//!
//! The column names are public interface. Readers match columns by header name in any order
//! and ignore extra columns. Files are UTF-8 (a byte order mark is tolerated). Every error
//! names the file, the 1-based physical line (header = line 1), the field and what is wrong;
//! up to [`MAX_ROW_ERRORS`] row errors are reported together (see [`TableError`]).
//!
//! Writers produce exactly these formats, with every number in shortest round-trip form
//! (Rust's `{}` of `f64`), so a written file reads back to identical values. All writers go
//! through [`write_atomic`]: the target appears complete or not at all.

mod atomic;
mod error;
mod fast;
mod fields;
mod network;
mod points;

pub use atomic::{csv_writer_atomic, write_atomic, AtomicFile};
pub use error::{RowError, TableError, MAX_ROW_ERRORS};
pub use lc_crs::Crs;
pub use network::{
    read_network, write_edges, write_edges_to, write_network, write_nodes, write_nodes_to,
    EDGE_COLUMNS, NODE_COLUMNS,
};
pub use points::{
    read_communities, read_facilities, write_communities, write_communities_to, write_facilities,
    write_facilities_to, COMMUNITY_COLUMNS, FACILITY_COLUMNS,
};
