//! One module per subcommand.

pub mod access;
pub mod assess;
pub mod categories;
pub mod demo;
pub mod draw;
pub mod generate;
pub mod isochrone;
pub mod monitor;
pub mod partition;
pub mod release;
pub mod serve;
pub mod site;
