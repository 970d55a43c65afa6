//! Merging the parts' files into the whole run's: every community's rows, in input order,
//! copied byte for byte from the part that computed it.

use super::plan::PlanFile;
use super::{
    from_json, PartManifest, PartStats, ACCESS_FILE, CAPACITY_FILE, COUNTS_FILE, JOB_VERSION,
    MANIFEST_FILE, PLAN_FILE,
};
use crate::PipelineError;
use csv::ByteRecord;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// At most this many part files are kept open while merging.
const OPEN_FILES: usize = 64;

/// Where the merged files go.
#[derive(Debug, Clone)]
pub struct MergeOutputs {
    /// The access rows (`livingcircle access --out`).
    pub access: PathBuf,
    /// The circle counts (`--counts`), when the plan computed them.
    pub counts: Option<PathBuf>,
    /// The 2SFCA ratios (`--capacity`), when the plan computed them.
    pub capacity: Option<PathBuf>,
}

/// What was merged.
#[derive(Debug, Clone)]
pub struct MergeReport {
    /// The plan's id.
    pub plan_id: String,
    /// Communities in the input.
    pub communities: u64,
    /// Of them placed on the network.
    pub placed: u64,
    /// Per part: its name, its communities and how it went.
    pub parts: Vec<(String, u64, PartStats)>,
    /// Access rows written (without the header).
    pub access_rows: u64,
    /// Count rows written.
    pub counts_rows: u64,
    /// Capacity (2SFCA) rows written.
    pub capacity_rows: u64,
}

/// Merges the parts of the plan in `plan_dir` (every part must have run). Refuses a part of
/// another plan, a community covered twice or not at all, and a part whose files do not list
/// its communities in order.
pub fn merge(plan_dir: &Path, out: &MergeOutputs) -> Result<MergeReport, PipelineError> {
    let plan_path = plan_dir.join(PLAN_FILE);
    let text = read_text(&plan_path)?;
    let plan: PlanFile = from_json(&plan_path, &text)?;
    if plan.version != JOB_VERSION {
        return Err(PipelineError::Job {
            file: plan_path,
            field: "version".into(),
            reason: format!(
                "版本 {} 不受支持 version {} is not supported (this build reads {JOB_VERSION})",
                plan.version, plan.version
            ),
        });
    }
    if out.counts.is_some() && !plan.options.counts {
        return Err(PipelineError::Partition(format!(
            "{}: 规划时未要求圈层计数，请加 --counts 重新规划 the plan did not compute circle counts: plan again with --counts",
            plan_path.display()
        )));
    }
    if out.capacity.is_some() && !plan.options.pairs.as_ref().is_some_and(|p| p.ratios) {
        return Err(PipelineError::Partition(format!(
            "{}: 规划时未要求容量比（两步移动搜索法），请加 --with-capacity 重新规划 the plan did not compute the capacity ratios (2SFCA): plan again with --with-capacity",
            plan_path.display()
        )));
    }
    let n = plan.communities as usize;
    let mut owner: Vec<(u32, u32)> = vec![(u32::MAX, 0); n];
    let mut manifests = Vec::with_capacity(plan.parts.len());
    let mut placed = 0;
    for (p, part) in plan.parts.iter().enumerate() {
        let path = part.output.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            PipelineError::Partition(format!(
                "分区 {} 尚未运行（缺少 {}）：livingcircle partition run {} part {} has not run (no {}): run livingcircle partition run {}",
                part.part,
                path.display(),
                part.job.display(),
                part.part,
                path.display(),
                part.job.display()
            ))
        })?;
        let m: PartManifest = from_json(&path, &text)?;
        if m.plan_id != plan.plan_id || m.part != part.part {
            return Err(PipelineError::Job {
                file: path,
                field: "plan_id".into(),
                reason: format!(
                    "属于另一规划 belongs to another plan ({} {}, expected {} {}); run the part again",
                    m.plan_id, m.part, plan.plan_id, part.part
                ),
            });
        }
        for (j, (i, id)) in m.communities.iter().enumerate() {
            let slot = owner
                .get_mut(*i as usize)
                .ok_or_else(|| PipelineError::Job {
                    file: path.clone(),
                    field: format!("communities[{j}]"),
                    reason: format!(
                        "社区序号 {i} 超出范围 community index {i} is beyond the {n} communities"
                    ),
                })?;
            if slot.0 != u32::MAX {
                return Err(PipelineError::Job {
                    file: path.clone(),
                    field: format!("communities[{j}]"),
                    reason: format!(
                        "社区 {id} 也在 {} 中 community {id} is also in {}",
                        plan.parts[slot.0 as usize].part, plan.parts[slot.0 as usize].part
                    ),
                });
            }
            *slot = (p as u32, j as u32);
        }
        placed += m.placed;
        manifests.push(m);
    }
    if let Some(i) = owner.iter().position(|o| o.0 == u32::MAX) {
        return Err(PipelineError::Partition(format!(
            "{}: 第 {} 个社区不在任何分区中 community number {} (in input order) is in no part",
            plan_path.display(),
            i + 1,
            i + 1
        )));
    }
    crate::place::require_points(
        &plan.inputs.communities.path,
        ("社区", "community"),
        n,
        n - placed as usize,
        plan.options.snap_limit,
        "compute",
    )?;

    let mut files = vec![(ACCESS_FILE, &out.access)];
    if let Some(c) = &out.counts {
        files.push((COUNTS_FILE, c));
    }
    if let Some(c) = &out.capacity {
        files.push((CAPACITY_FILE, c));
    }
    let mut rows = [0u64; 3];
    for (name, target) in files {
        let k = [ACCESS_FILE, COUNTS_FILE, CAPACITY_FILE]
            .iter()
            .position(|f| *f == name)
            .unwrap_or(0);
        let mut header: Option<Vec<u8>> = None;
        let mut blocks = Vec::with_capacity(manifests.len());
        for (part, m) in plan.parts.iter().zip(&manifests) {
            let path = part.output.join(name);
            let (h, b, r) = scan(&path, &m.communities)?;
            match &header {
                None => header = Some(h),
                Some(first) if *first != h => {
                    return Err(PipelineError::Partition(format!(
                        "{}: 表头与其他分区不同 the header differs from the other parts'",
                        path.display()
                    )))
                }
                Some(_) => {}
            }
            rows[k] += r;
            blocks.push((path, b));
        }
        let header = header.unwrap_or_default();
        let mut open = OpenFiles::default();
        lc_tables::write_atomic(target, |w| {
            w.write_all(&header)?;
            for &(p, j) in &owner {
                let (path, b) = &blocks[p as usize];
                let (start, end) = b[j as usize];
                if end > start {
                    open.copy(p as usize, path, start, end, w)?;
                }
            }
            Ok(())
        })?;
    }
    Ok(MergeReport {
        plan_id: plan.plan_id,
        communities: n as u64,
        placed,
        parts: plan
            .parts
            .iter()
            .zip(manifests)
            .map(|(p, m)| (p.part.clone(), p.communities, m.stats))
            .collect(),
        access_rows: rows[0],
        counts_rows: rows[1],
        capacity_rows: rows[2],
    })
}

fn read_text(path: &Path) -> Result<String, PipelineError> {
    std::fs::read_to_string(path).map_err(|reason| PipelineError::Io {
        path: path.to_path_buf(),
        reason,
    })
}

/// A part's file: its header's bytes, and for each of its communities (in the manifest's
/// order) the byte range of its rows (empty when it has none); and the number of rows. A
/// community's rows run from its first row's start to the next community's first row (or the
/// end of the file): the rows of a part's communities follow each other in its order.
#[allow(clippy::type_complexity)]
fn scan(
    path: &Path,
    communities: &[(u64, String)],
) -> Result<(Vec<u8>, Vec<(u64, u64)>, u64), PipelineError> {
    let io = |reason: std::io::Error| PipelineError::Io {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let mut rec = ByteRecord::new();
    if !reader
        .read_byte_record(&mut rec)
        .map_err(|e| io(e.into()))?
    {
        return Err(PipelineError::Partition(format!(
            "{}: 文件为空 the file is empty (the part did not finish?)",
            path.display()
        )));
    }
    // (community in the manifest, where its first row starts), in file order.
    let mut starts: Vec<(usize, u64)> = Vec::new();
    let mut next = 0usize;
    let mut rows = 0u64;
    loop {
        let start = reader.position().byte();
        if !reader
            .read_byte_record(&mut rec)
            .map_err(|e| io(e.into()))?
        {
            break;
        }
        rows += 1;
        let id = rec.get(0).unwrap_or_default();
        if let Some(&(c, _)) = starts.last() {
            if communities[c].1.as_bytes() == id {
                continue;
            }
        }
        while next < communities.len() && communities[next].1.as_bytes() != id {
            next += 1;
        }
        if next == communities.len() {
            return Err(PipelineError::Partition(format!(
                "{} 第 {rows} 行 row {rows}: 社区 '{}' 不在该分区清单中或顺序不符 community '{}' is not in the part's manifest, or out of its order",
                path.display(),
                String::from_utf8_lossy(id),
                String::from_utf8_lossy(id)
            )));
        }
        starts.push((next, start));
        next += 1;
    }
    let header_end = starts.first().map_or(file_len, |s| s.1);
    let mut header = vec![0u8; header_end as usize];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(io)?;
    let mut blocks = vec![(0u64, 0u64); communities.len()];
    for (k, &(c, start)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(file_len, |s| s.1);
        blocks[c] = (start, end);
    }
    Ok((header, blocks, rows))
}

/// The parts' files, opened as needed (at most [`OPEN_FILES`] at once) and read on from where
/// the last copy ended.
#[derive(Default)]
struct OpenFiles {
    files: HashMap<usize, (BufReader<File>, u64, u64)>,
    clock: u64,
}

impl OpenFiles {
    fn copy(
        &mut self,
        part: usize,
        path: &Path,
        start: u64,
        end: u64,
        w: &mut dyn Write,
    ) -> std::io::Result<()> {
        self.clock += 1;
        if !self.files.contains_key(&part) {
            if self.files.len() >= OPEN_FILES {
                if let Some(&oldest) = self
                    .files
                    .iter()
                    .min_by_key(|(_, (_, _, used))| *used)
                    .map(|(k, _)| k)
                {
                    self.files.remove(&oldest);
                }
            }
            let f = File::open(path)?;
            self.files
                .insert(part, (BufReader::with_capacity(1 << 16, f), 0, 0));
        }
        let Some((reader, pos, used)) = self.files.get_mut(&part) else {
            return Ok(());
        };
        *used = self.clock;
        if *pos != start {
            reader.seek(SeekFrom::Start(start))?;
        }
        let copied = std::io::copy(&mut reader.by_ref().take(end - start), w)?;
        if copied != end - start {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{} is shorter than it was when scanned", path.display()),
            ));
        }
        *pos = end;
        Ok(())
    }
}
