//! Reading and writing guest memory from a host function.

use wasmtime::{bail, format_err, Caller, Extern, Memory, Result};

use crate::state::State;

fn memory(caller: &mut Caller<'_, State>) -> Result<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => bail!("testhost: the module exports no memory named `memory`"),
    }
}

fn range(ptr: i32, len: i32) -> (usize, usize) {
    let start = ptr as u32 as usize;
    (start, start + len as u32 as usize)
}

pub fn read(caller: &mut Caller<'_, State>, ptr: i32, len: i32) -> Result<Vec<u8>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let memory = memory(caller)?;
    let (start, end) = range(ptr, len);
    memory
        .data(&caller)
        .get(start..end)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| {
            format_err!("testhost: guest read of {len} bytes at {start:#x} is out of bounds")
        })
}

pub fn read_str(caller: &mut Caller<'_, State>, ptr: i32, len: i32) -> Result<String> {
    let bytes = read(caller, ptr, len)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn write(caller: &mut Caller<'_, State>, ptr: i32, bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    let memory = memory(caller)?;
    let (start, end) = range(ptr, bytes.len() as i32);
    match memory.data_mut(&mut *caller).get_mut(start..end) {
        Some(target) => {
            target.copy_from_slice(bytes);
            Ok(())
        }
        None => bail!(
            "testhost: guest write of {} bytes at {start:#x} is out of bounds",
            bytes.len()
        ),
    }
}

pub fn write_u32(caller: &mut Caller<'_, State>, ptr: i32, value: u32) -> Result<()> {
    write(caller, ptr, &value.to_le_bytes())
}

pub fn write_u64(caller: &mut Caller<'_, State>, ptr: i32, value: u64) -> Result<()> {
    write(caller, ptr, &value.to_le_bytes())
}

/// Hands `data` to the guest the way the ABI does: memory allocated with the
/// module's `proxy_on_memory_allocate`, its address and size written to
/// `ptr_ptr` and `size_ptr`. Empty data is returned as a null pointer.
pub fn give(
    caller: &mut Caller<'_, State>,
    data: &[u8],
    ptr_ptr: i32,
    size_ptr: i32,
) -> Result<()> {
    if data.is_empty() {
        write_u32(caller, ptr_ptr, 0)?;
        return write_u32(caller, size_ptr, 0);
    }
    let alloc = ["proxy_on_memory_allocate", "malloc"]
        .iter()
        .find_map(|name| caller.get_export(name).and_then(Extern::into_func))
        .ok_or_else(|| format_err!("testhost: the module exports no proxy_on_memory_allocate"))?;
    let addr = alloc
        .typed::<i32, i32>(&*caller)?
        .call(&mut *caller, data.len() as i32)?;
    if addr == 0 {
        bail!(
            "testhost: proxy_on_memory_allocate({}) returned null",
            data.len()
        );
    }
    write(caller, addr, data)?;
    write_u32(caller, ptr_ptr, addr as u32)?;
    write_u32(caller, size_ptr, data.len() as u32)
}
