//! What a Lambda binary asks of the machine it runs on, read from its ELF headers: the CPU (`e_machine`) and the
//! glibc symbol versions it needs (the `GLIBC_x.y` entries of `.gnu.version_r`, which is where the dynamic linker
//! looks them up). `provided.al2023` ships glibc 2.34, so a binary needing a newer version fails at start-up
//! with "version `GLIBC_2.xx' not found"; reading the versions here catches it before an upload.
//!
//! Only 64-bit little-endian ELF, the only kind Lambda runs.

use std::fmt;

use crate::DeployError;

/// CPU architectures Lambda offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    X86_64,
    Aarch64,
    Other(u16),
}

impl Machine {
    fn from_e_machine(value: u16) -> Self {
        match value {
            62 => Machine::X86_64,
            183 => Machine::Aarch64,
            other => Machine::Other(other),
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Machine::X86_64 => f.write_str("x86_64"),
            Machine::Aarch64 => f.write_str("aarch64"),
            Machine::Other(code) => write!(f, "e_machine {code}"),
        }
    }
}

/// A `GLIBC_major.minor[.patch]` version, ordered numerically (2.9 < 2.34).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion(pub u16, pub u16, pub u16);

impl GlibcVersion {
    /// Amazon Linux 2023's glibc, the newest a `provided.al2023` function may need.
    pub const AL2023: GlibcVersion = GlibcVersion(2, 34, 0);

    pub fn parse(name: &str) -> Option<Self> {
        let mut parts = name.strip_prefix("GLIBC_")?.split('.').map(|p| p.parse::<u16>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = match parts.next() {
            Some(p) => p?,
            None => 0,
        };
        parts.next().is_none().then_some(GlibcVersion(major, minor, patch))
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.2 {
            0 => write!(f, "GLIBC_{}.{}", self.0, self.1),
            patch => write!(f, "GLIBC_{}.{}.{patch}", self.0, self.1),
        }
    }
}

/// What the loader needs to run the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    pub machine: Machine,
    /// Every version named in `.gnu.version_r`, per library (`libc.so.6`, `GLIBC_2.34`).
    pub needed_versions: Vec<(String, String)>,
}

impl Requirements {
    /// The newest glibc version needed; `None` for a binary that needs none (static).
    pub fn max_glibc(&self) -> Result<Option<GlibcVersion>, DeployError> {
        let mut max = None;
        for (_, name) in self.needed_versions.iter().filter(|(_, name)| name.starts_with("GLIBC_")) {
            let version = GlibcVersion::parse(name).ok_or_else(|| DeployError::Elf(format!("unexpected glibc version {name}")))?;
            max = max.max(Some(version));
        }
        Ok(max)
    }
}

const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;

/// Reads the machine and needed symbol versions of a 64-bit little-endian ELF file.
pub fn read(bytes: &[u8]) -> Result<Requirements, DeployError> {
    let bad = |what: &str| DeployError::Elf(what.to_owned());
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err(bad("not an ELF file"));
    }
    if bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return Err(bad("not a 64-bit little-endian ELF file"));
    }
    let machine = Machine::from_e_machine(u16_at(bytes, 18)?);
    let section_offset = usize_at(bytes, 0x28)?;
    let section_size = u16_at(bytes, 0x3a)? as usize;
    let sections = u16_at(bytes, 0x3c)? as usize;
    if section_size < 64 {
        return Err(bad("section header entries are too small"));
    }
    let header = |index: usize| -> Result<&[u8], DeployError> {
        let start =
            index.checked_mul(section_size).and_then(|o| o.checked_add(section_offset)).ok_or_else(|| bad("section table overflows"))?;
        bytes.get(start..start + 64).ok_or_else(|| bad("section header out of bounds"))
    };
    let mut needed_versions = Vec::new();
    for index in 0..sections {
        let section = header(index)?;
        if u32_at(section, 4)? != SHT_GNU_VERNEED {
            continue;
        }
        let strings = header(u32_at(section, 40)? as usize)?;
        let (strings_offset, strings_size) = (usize_at(strings, 24)?, usize_at(strings, 32)?);
        let strtab = bytes.get(strings_offset..strings_offset + strings_size).ok_or_else(|| bad("string table out of bounds"))?;
        let name_at = |offset: u32| -> Result<String, DeployError> {
            let tail = strtab.get(offset as usize..).ok_or_else(|| bad("string out of bounds"))?;
            let end = tail.iter().position(|b| *b == 0).ok_or_else(|| bad("unterminated string"))?;
            Ok(String::from_utf8_lossy(&tail[..end]).into_owned())
        };
        let table = bytes.get(usize_at(section, 24)?..).ok_or_else(|| bad("version table out of bounds"))?;
        let mut entry = 0usize;
        for _ in 0..u32_at(section, 44)? {
            let need = table.get(entry..entry + 16).ok_or_else(|| bad("version need out of bounds"))?;
            let library = name_at(u32_at(need, 4)?)?;
            let mut aux = entry + u32_at(need, 8)? as usize;
            for _ in 0..u16_at(need, 2)? {
                let vernaux = table.get(aux..aux + 16).ok_or_else(|| bad("version entry out of bounds"))?;
                needed_versions.push((library.clone(), name_at(u32_at(vernaux, 8)?)?));
                aux += u32_at(vernaux, 12)? as usize;
            }
            match u32_at(need, 12)? {
                0 => break,
                next => entry += next as usize,
            }
        }
    }
    needed_versions.sort();
    needed_versions.dedup();
    Ok(Requirements { machine, needed_versions })
}

fn slice<const N: usize>(bytes: &[u8], offset: usize) -> Result<[u8; N], DeployError> {
    bytes.get(offset..offset + N).and_then(|s| s.try_into().ok()).ok_or_else(|| DeployError::Elf(format!("truncated at byte {offset}")))
}

fn u16_at(bytes: &[u8], offset: usize) -> Result<u16, DeployError> {
    slice(bytes, offset).map(u16::from_le_bytes)
}

fn u32_at(bytes: &[u8], offset: usize) -> Result<u32, DeployError> {
    slice(bytes, offset).map(u32::from_le_bytes)
}

fn usize_at(bytes: &[u8], offset: usize) -> Result<usize, DeployError> {
    let value = slice(bytes, offset).map(u64::from_le_bytes)?;
    usize::try_from(value).map_err(|_| DeployError::Elf(format!("offset {value} does not fit")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF file: header, a string table, one `.gnu.version_r` naming `versions` of libc.so.6.
    pub(crate) fn synthetic(e_machine: u16, versions: &[&str]) -> Vec<u8> {
        let mut strtab = b"\0libc.so.6\0".to_vec();
        let mut names = Vec::new();
        for v in versions {
            names.push(strtab.len() as u32);
            strtab.extend_from_slice(v.as_bytes());
            strtab.push(0);
        }
        let mut verneed = Vec::new();
        verneed.extend_from_slice(&1u16.to_le_bytes());
        verneed.extend_from_slice(&(versions.len() as u16).to_le_bytes());
        verneed.extend_from_slice(&1u32.to_le_bytes()); // "libc.so.6"
        verneed.extend_from_slice(&16u32.to_le_bytes());
        verneed.extend_from_slice(&0u32.to_le_bytes());
        for (i, name) in names.iter().enumerate() {
            verneed.extend_from_slice(&[0; 8]);
            verneed.extend_from_slice(&name.to_le_bytes());
            let next: u32 = if i + 1 < names.len() { 16 } else { 0 };
            verneed.extend_from_slice(&next.to_le_bytes());
        }
        let strtab_offset = 64;
        let verneed_offset = strtab_offset + strtab.len();
        let sections_offset = verneed_offset + verneed.len();
        let mut file = vec![0u8; 64];
        file[..6].copy_from_slice(b"\x7fELF\x02\x01");
        file[18..20].copy_from_slice(&e_machine.to_le_bytes());
        file[0x28..0x30].copy_from_slice(&(sections_offset as u64).to_le_bytes());
        file[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        file[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
        file.extend_from_slice(&strtab);
        file.extend_from_slice(&verneed);
        let section = |kind: u32, offset: usize, size: usize, link: u32, info: u32| {
            let mut s = vec![0u8; 64];
            s[4..8].copy_from_slice(&kind.to_le_bytes());
            s[24..32].copy_from_slice(&(offset as u64).to_le_bytes());
            s[32..40].copy_from_slice(&(size as u64).to_le_bytes());
            s[40..44].copy_from_slice(&link.to_le_bytes());
            s[44..48].copy_from_slice(&info.to_le_bytes());
            s
        };
        file.extend(section(0, 0, 0, 0, 0));
        file.extend(section(3, strtab_offset, strtab.len(), 0, 0));
        file.extend(section(SHT_GNU_VERNEED, verneed_offset, verneed.len(), 1, 1));
        file
    }

    #[test]
    fn reads_machine_and_versions() {
        let req = read(&synthetic(183, &["GLIBC_2.17", "GLIBC_2.34", "GLIBC_2.28"])).unwrap();
        assert_eq!(req.machine, Machine::Aarch64);
        assert_eq!(req.max_glibc().unwrap(), Some(GlibcVersion(2, 34, 0)));
        assert_eq!(req.needed_versions.len(), 3);
        let newer = read(&synthetic(62, &["GLIBC_2.2.5", "GLIBC_2.39"])).unwrap();
        assert_eq!(newer.machine, Machine::X86_64);
        assert!(newer.max_glibc().unwrap() > Some(GlibcVersion::AL2023));
    }

    #[test]
    fn orders_versions_numerically() {
        assert!(GlibcVersion::parse("GLIBC_2.9") < GlibcVersion::parse("GLIBC_2.34"));
        assert!(GlibcVersion::parse("GLIBC_2.2.5") < GlibcVersion::parse("GLIBC_2.3"));
        assert_eq!(GlibcVersion::parse("GLIBC_PRIVATE"), None);
        assert_eq!(GlibcVersion(2, 2, 5).to_string(), "GLIBC_2.2.5");
    }

    #[test]
    fn reads_this_test_binary() {
        // A real linker's output: this test executable is a dynamically linked glibc program for this machine.
        let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let req = read(&bytes).unwrap();
        let expected = if cfg!(target_arch = "x86_64") { Machine::X86_64 } else { Machine::Aarch64 };
        assert_eq!(req.machine, expected);
        assert!(req.max_glibc().unwrap() >= Some(GlibcVersion(2, 2, 5)));
        assert!(req.needed_versions.iter().any(|(lib, _)| lib.starts_with("libc.so")));
    }

    #[test]
    fn refuses_what_is_not_elf64() {
        assert!(read(b"PK\x03\x04").is_err());
        let mut truncated = synthetic(183, &["GLIBC_2.17"]);
        truncated.truncate(100);
        assert!(read(&truncated).is_err());
        assert!(read(&synthetic(183, &["GLIBC_2.x"])).unwrap().max_glibc().is_err());
    }
}
