//! What sysfs says about NVDIMM regions and device DAX, read directly (no libndctl).
//!
//! Every function takes the sysfs root so the unit tests can run them over fake trees.

use std::fs;
use std::path::{Path, PathBuf};

pub const SYSFS_ROOT: &str = "/sys";

/// 1 if every NVDIMM region's persistence domain is the CPU cache (eADR), 0 if there is no
/// region or any region says otherwise or lacks the file, -1 if sysfs can't be read.
pub fn has_auto_flush(root: &str) -> i32 {
    let dir = Path::new(root).join("bus/nd/devices");
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        // No nd bus at all: no NVDIMM, no auto flush.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return 0,
        Err(_) => return -1,
    };
    let mut regions = 0;
    for entry in entries {
        let Ok(entry) = entry else { return -1 };
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_region_name(name) {
            continue;
        }
        regions += 1;
        match fs::read_to_string(entry.path().join("persistence_domain")) {
            Ok(v) if v.trim() == "cpu_cache" => {}
            Ok(_) => return 0,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return 0,
            Err(_) => return -1,
        }
    }
    i32::from(regions > 0)
}

/// "region" followed by digits only.
fn is_region_name(name: &str) -> bool {
    name.strip_prefix("region")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn char_dev_dir(root: &str, major: u32, minor: u32) -> PathBuf {
    Path::new(root).join(format!("dev/char/{major}:{minor}"))
}

/// Whether the character device major:minor is device DAX (its subsystem is "dax").
pub fn is_device_dax(root: &str, major: u32, minor: u32) -> bool {
    let subsystem = char_dev_dir(root, major, minor).join("subsystem");
    fs::canonicalize(subsystem)
        .ok()
        .and_then(|p| p.file_name().map(|n| n == "dax"))
        .unwrap_or(false)
}

fn read_number(path: &Path) -> Option<u64> {
    let text = fs::read_to_string(path).ok()?;
    let t = text.trim();
    match t.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Size in bytes of a device DAX.
pub fn device_dax_size(root: &str, major: u32, minor: u32) -> Option<u64> {
    read_number(&char_dev_dir(root, major, minor).join("size"))
}

/// Mapping alignment of a device DAX, if known: the device's own `align` attribute (kernels
/// since 5.10), else its region's (older kernels, where the device has a `device` link).
pub fn device_dax_alignment(root: &str, major: u32, minor: u32) -> Option<u64> {
    let dir = char_dev_dir(root, major, minor);
    let usable = |a: &u64| a.is_power_of_two();
    read_number(&dir.join("align"))
        .filter(usable)
        .or_else(|| read_number(&dir.join("device/align")).filter(usable))
}

/// The `deep_flush` file of the region holding a device DAX, found from its sysfs path.
pub fn device_dax_deep_flush_file(root: &str, major: u32, minor: u32) -> Option<PathBuf> {
    let real = fs::canonicalize(char_dev_dir(root, major, minor)).ok()?;
    let region = real
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .find(|c| is_region_name(c))?
        .to_string();
    Some(
        Path::new(root)
            .join("bus/nd/devices")
            .join(region)
            .join("deep_flush"),
    )
}

/// Asks the region to flush its write-pending queues. A missing or unreadable file, or "0",
/// means there is nothing deeper to reach: success. Returns an errno on a failed write.
pub fn region_deep_flush(file: &Path) -> Result<(), i32> {
    match fs::read_to_string(file) {
        Ok(v) if v.trim() != "0" => {}
        _ => return Ok(()),
    }
    fs::write(file, "1").map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pmem-sysfs-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn region(root: &Path, n: u32, domain: Option<&str>) {
        let r = root.join(format!("bus/nd/devices/region{n}"));
        fs::create_dir_all(&r).unwrap();
        if let Some(d) = domain {
            fs::write(r.join("persistence_domain"), format!("{d}\n")).unwrap();
        }
    }

    #[test]
    fn auto_flush_needs_every_region_on_cpu_cache() {
        let root = tree("af");
        let r = root.to_str().unwrap();
        assert_eq!(has_auto_flush(r), 0, "no nd bus");
        fs::create_dir_all(root.join("bus/nd/devices/ndbus0")).unwrap();
        assert_eq!(has_auto_flush(r), 0, "no region");
        region(&root, 0, Some("cpu_cache"));
        assert_eq!(has_auto_flush(r), 1);
        region(&root, 1, Some("memory_controller"));
        assert_eq!(has_auto_flush(r), 0);
        fs::write(
            root.join("bus/nd/devices/region1/persistence_domain"),
            "cpu_cache",
        )
        .unwrap();
        assert_eq!(has_auto_flush(r), 1);
        region(&root, 2, None);
        assert_eq!(has_auto_flush(r), 0, "a region without the file");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn device_dax_attributes() {
        let root = tree("dax");
        let r = root.to_str().unwrap();
        let dev = root.join("devices/platform/ndbus0/region3/dax3.0/dax3.0");
        fs::create_dir_all(&dev).unwrap();
        fs::create_dir_all(root.join("class/dax")).unwrap();
        fs::create_dir_all(root.join("dev/char")).unwrap();
        symlink(root.join("class/dax"), dev.join("subsystem")).unwrap();
        fs::write(dev.join("size"), "1073741824\n").unwrap();
        let parent = dev.parent().unwrap();
        fs::write(parent.join("align"), "2097152\n").unwrap();
        symlink(parent, dev.join("device")).unwrap();
        symlink(&dev, root.join("dev/char/251:0")).unwrap();

        assert!(is_device_dax(r, 251, 0));
        assert!(!is_device_dax(r, 1, 3));
        assert_eq!(device_dax_size(r, 251, 0), Some(1 << 30));
        assert_eq!(device_dax_alignment(r, 251, 0), Some(2 << 20));
        // A 6.1 kernel: the device's own attribute wins over the region's.
        fs::write(dev.join("align"), "1073741824\n").unwrap();
        assert_eq!(device_dax_alignment(r, 251, 0), Some(1 << 30));
        let deep = device_dax_deep_flush_file(r, 251, 0).unwrap();
        assert!(deep.ends_with("bus/nd/devices/region3/deep_flush"));

        assert_eq!(
            region_deep_flush(&deep),
            Ok(()),
            "missing file: nothing deeper"
        );
        fs::create_dir_all(deep.parent().unwrap()).unwrap();
        fs::write(&deep, "0\n").unwrap();
        assert_eq!(region_deep_flush(&deep), Ok(()));
        fs::write(&deep, "1\n").unwrap();
        assert_eq!(region_deep_flush(&deep), Ok(()));
        fs::remove_dir_all(&root).unwrap();
    }
}
