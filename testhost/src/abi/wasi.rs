//! The WASI preview1 functions Rust std on wasm32-wasip1 may import. There is
//! no file system: stdio is captured, clocks come from the test clock, random
//! bytes from a seeded generator, the environment from the test.

use std::time::UNIX_EPOCH;

use wasmtime::{bail, Caller, Linker, Result};

use super::memory::{read, write, write_u32, write_u64};
use crate::state::State;

const MODULE: &str = "wasi_snapshot_preview1";
const SUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EINVAL: i32 = 28;
const ENOTSUP: i32 = 58;
const ESPIPE: i32 = 70;

pub fn link(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        MODULE,
        "fd_write",
        |mut c: Caller<'_, State>,
         fd: i32,
         iovs: i32,
         iovs_len: i32,
         written_ptr: i32|
         -> Result<i32> {
            if fd != 1 && fd != 2 {
                return Ok(EBADF);
            }
            let mut data = Vec::new();
            for i in 0..iovs_len {
                let iov = read(&mut c, iovs + i * 8, 8)?;
                let ptr = i32::from_le_bytes([iov[0], iov[1], iov[2], iov[3]]);
                let len = i32::from_le_bytes([iov[4], iov[5], iov[6], iov[7]]);
                data.extend(read(&mut c, ptr, len)?);
            }
            let state = c.data_mut();
            if state.echo {
                eprint!("{}", String::from_utf8_lossy(&data));
            }
            if fd == 1 {
                state.stdout.extend_from_slice(&data);
            } else {
                state.stderr.extend_from_slice(&data);
            }
            write_u32(&mut c, written_ptr, data.len() as u32)?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_read",
        |mut c: Caller<'_, State>, fd: i32, _iovs: i32, _len: i32, read_ptr: i32| -> Result<i32> {
            if fd != 0 {
                return Ok(EBADF);
            }
            write_u32(&mut c, read_ptr, 0)?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(MODULE, "fd_close", |_: Caller<'_, State>, fd: i32| -> i32 {
        if (0..=2).contains(&fd) {
            SUCCESS
        } else {
            EBADF
        }
    })?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        |_: Caller<'_, State>, _fd: i32, _offset: i64, _whence: i32, _ptr: i32| -> i32 { ESPIPE },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_get",
        |mut c: Caller<'_, State>, fd: i32, ptr: i32| -> Result<i32> {
            if !(0..=2).contains(&fd) {
                return Ok(EBADF);
            }
            // fdstat: filetype u8 (2 = character device), flags u16, rights u64 x2.
            let mut stat = [0u8; 24];
            stat[0] = 2;
            write(&mut c, ptr, &stat)?;
            Ok(SUCCESS)
        },
    )?;
    // No preopened directories: EBADF ends std's scan of fd 3, 4, ...
    linker.func_wrap(
        MODULE,
        "fd_prestat_get",
        |_: Caller<'_, State>, _fd: i32, _ptr: i32| -> i32 { EBADF },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        |_: Caller<'_, State>, _fd: i32, _ptr: i32, _len: i32| -> i32 { EBADF },
    )?;
    linker.func_wrap(
        MODULE,
        "args_sizes_get",
        |mut c: Caller<'_, State>, count_ptr: i32, size_ptr: i32| -> Result<i32> {
            write_u32(&mut c, count_ptr, 0)?;
            write_u32(&mut c, size_ptr, 0)?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "args_get",
        |_: Caller<'_, State>, _argv: i32, _buf: i32| -> i32 { SUCCESS },
    )?;
    linker.func_wrap(
        MODULE,
        "environ_sizes_get",
        |mut c: Caller<'_, State>, count_ptr: i32, size_ptr: i32| -> Result<i32> {
            let env = &c.data().env;
            let count = env.len() as u32;
            let size: usize = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
            write_u32(&mut c, count_ptr, count)?;
            write_u32(&mut c, size_ptr, size as u32)?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "environ_get",
        |mut c: Caller<'_, State>, environ: i32, buf: i32| -> Result<i32> {
            let env = c.data().env.clone();
            let mut at = buf;
            for (i, (key, value)) in env.iter().enumerate() {
                write_u32(&mut c, environ + 4 * i as i32, at as u32)?;
                let entry = format!("{key}={value}\0");
                write(&mut c, at, entry.as_bytes())?;
                at += entry.len() as i32;
            }
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_res_get",
        |mut c: Caller<'_, State>, _id: i32, ptr: i32| -> Result<i32> {
            write_u64(&mut c, ptr, 1)?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_time_get",
        |mut c: Caller<'_, State>, id: i32, _precision: i64, ptr: i32| -> Result<i32> {
            let state = c.data();
            let nanos = match id {
                0 => state.now.duration_since(UNIX_EPOCH)?.as_nanos() as u64,
                1..=3 => state.monotonic_ns,
                _ => return Ok(EINVAL),
            };
            write_u64(&mut c, ptr, nanos)?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "random_get",
        |mut c: Caller<'_, State>, ptr: i32, len: i32| -> Result<i32> {
            let mut bytes = vec![0u8; len as u32 as usize];
            c.data_mut().random_bytes(&mut bytes);
            write(&mut c, ptr, &bytes)?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(MODULE, "sched_yield", |_: Caller<'_, State>| -> i32 {
        SUCCESS
    })?;
    linker.func_wrap(
        MODULE,
        "poll_oneoff",
        |_: Caller<'_, State>, _in: i32, _out: i32, _n: i32, _events: i32| -> i32 { ENOTSUP },
    )?;
    linker.func_wrap(
        MODULE,
        "proc_exit",
        |_: Caller<'_, State>, code: i32| -> Result<()> {
            bail!("testhost: the filter called proc_exit({code})")
        },
    )?;
    Ok(())
}
