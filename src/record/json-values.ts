// A bound on how many values a JSON text holds, checked on its bytes before it is parsed. JSON.parse, and every
// walk over what it returns, costs time and memory per value: a file within a size limit of tens of MiB written
// as `[0,0,…]` or `[{},{},…]` holds tens of millions of them, and took minutes and gigabytes before a checker got
// to say it is not what it should be. Counts the openers and commas outside strings (an upper bound of the values
// in valid JSON); one pass, nothing allocated. Pure.

/** Whether `bytes` (UTF-8 JSON text) holds more than `max` values. */
export function jsonValuesOver(bytes: Uint8Array, max: number): boolean {
  let values = 1;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if ((c === 0x2c || c === 0x5b || c === 0x7b) && ++values > max) return true;
  }
  return false;
}
