//! livingcircle's CSV formats: network, communities and facilities in; atomic files out.
//!
//! | file | columns (required, then optional) |
//! |---|---|
//! | `nodes.csv` | `id,lon,lat` |
//! | `edges.csv` | `from,to,length_m` |
//! | `communities.csv` | `id,name,lon,lat,population` + `households,elderly,children_0_3,division_code` |
//! | `facilities.csv` | `id,name,category,lon,lat` + `capacity,floor_area_m2,provider_code,division_code` |
//! | platform indicators (`visit-rate.csv`) | `indicator,month,region_code,level,due,visited,rate` |
//!
//! The column names are public interface. Readers match columns by header name (ASCII case
//! ignored) in any order and ignore extra columns. Files are UTF-8 (a byte order mark, as
//! Excel writes, is tolerated); a GBK/GB18030 file (Excel on Chinese Windows) is decoded and a
//! warning says so; an `.xlsx` workbook is read from its first sheet. A quoted field that runs
//! past its line (an unclosed quote) is refused, naming the line where it opened.
//! Values must be plausible: counts of people and households at most 10 million per community
//! (`MAX_COUNT`), a population not between 0 and 1, no part (households, elderly, children)
//! above the population, capacities and areas below their ceilings; infinity and NaN never pass. Cells are trimmed; empty
//! lines and rows whose cells are all empty are skipped. Point files take the coordinate
//! system of their positions ([`Crs`]) and convert to WGS-84 after checking ranges.
//!
//! **Errors** name the file (as given), the 1-based physical line (header = line 1, counted
//! through blank lines and quoted line breaks), the field and what is wrong, in Chinese and
//! then English, e.g. `communities.csv 第 7 行 line 7, 字段 field 'lat': '91.5' 超出范围（-90
//! 至 90）'91.5' is out of range (-90 to 90)`. A value longer than 60 characters is cut with
//! `…` and its length ([`lc_model::quote`]). Up to [`MAX_ROW_ERRORS`] row errors are reported
//! together, after a summary line (`communities.csv 中有 3 处错误 3 errors in
//! communities.csv:`), so a file can be fixed in one go (see [`TableError`]). Operating-system
//! errors are given a Chinese summary too ([`io_reason`]).
//!
//! **Writers** produce exactly these formats, with every number in shortest round-trip form
//! (Rust's `{}` of `f64`), so a written file reads back to identical values; optional
//! columns are written when any row has a value. All writers go through [`write_atomic`]:
//! the target appears complete or not at all.
//!
//! **Architecture invariant:** the only crate that knows the CSV column names of the inputs.

mod atomic;
mod error;
mod fast;
mod fields;
mod folder;
mod network;
mod paths;
mod platform;
mod points;
mod siting;
mod stream;

pub use atomic::{csv_writer_atomic, write_atomic, write_atomic_pending, AtomicFile, Pending};
pub use error::{RowError, TableError, MAX_ROW_ERRORS};
pub use fields::LineNumbers;
pub use folder::OutputFolder;
pub use lc_crs::Crs;
pub use lc_model::io_reason;
pub use network::{
    read_network, read_network_from, write_edges, write_edges_to, write_network, write_nodes,
    write_nodes_to, EDGE_COLUMNS, NODE_COLUMNS,
};
pub use paths::{check_outputs, PathClash};
pub use platform::{read_platform_indicators, PLATFORM_COLUMNS, RATE_TOLERANCE};
pub use points::{
    read_communities, read_communities_from, read_facilities, read_facilities_from,
    read_facilities_in_parts, write_communities, write_communities_to, write_facilities,
    write_facilities_to, COMMUNITY_COLUMNS, FACILITY_COLUMNS, MAX_AREA_M2, MAX_CAPACITY, MAX_COST,
    MAX_COUNT, MAX_DISTANCE_M,
};
pub use siting::{
    read_candidates, read_candidates_from, read_cost_tables, write_candidates, write_cost_tables,
    CostTables, CANDIDATE_COLUMNS,
};
pub use stream::{stream_edges, stream_nodes, EdgeRow, NodeRow};
