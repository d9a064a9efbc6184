import zlib from 'node:zlib'

/** A decoded PNG: width, height and RGBA pixels, row by row. */
export interface Png {
  width: number
  height: number
  rgba: Uint8Array
  at(x: number, y: number): [number, number, number, number]
}

/** Decodes an 8-bit, non-interlaced greyscale, RGB or RGBA PNG (what headless Chromium writes); enough for screenshots. */
export function decodePng(buf: Buffer): Png {
  if (buf.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG')
  let off = 8
  let width = 0
  let height = 0
  let colourType = 0
  const idat: Buffer[] = []
  while (off < buf.length) {
    const len = buf.readUInt32BE(off)
    const type = buf.toString('latin1', off + 4, off + 8)
    const data = buf.subarray(off + 8, off + 8 + len)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      if (data[8] !== 8 || data[12] !== 0)
        throw new Error(`unsupported PNG: bit depth ${data[8]}, interlace ${data[12]}`)
      colourType = data[9]
    } else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') break
    off += 12 + len
  }

  const channels = ({0: 1, 2: 3, 4: 2, 6: 4} as Record<number, number>)[colourType]
  if (!channels) throw new Error(`unsupported PNG colour type ${colourType}`)
  const raw = zlib.inflateSync(Buffer.concat(idat))
  const stride = width * channels
  const px = new Uint8Array(height * stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? px[y * stride + i - channels] : 0
      const b = y > 0 ? px[(y - 1) * stride + i] : 0
      const c = i >= channels && y > 0 ? px[(y - 1) * stride + i - channels] : 0
      let v = line[i]
      switch (filter) {
        case 1: {
          v += a
          break
        }

        case 2: {
          v += b
          break
        }

        case 3: {
          v += (a + b) >> 1
          break
        }

        case 4: {
          const p = a + b - c
          const pa = Math.abs(p - a)
          const pb = Math.abs(p - b)
          const pc = Math.abs(p - c)
          v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c

          break
        }
        // No default
      }

      px[y * stride + i] = v & 0xff
    }
  }

  const rgba = new Uint8Array(width * height * 4)
  for (let p = 0; p < width * height; p++) {
    const s = px.subarray(p * channels, p * channels + channels)
    const [r, g, b, a] =
      channels === 1
        ? [s[0], s[0], s[0], 255]
        : channels === 2
          ? [s[0], s[0], s[0], s[1]]
          : channels === 3
            ? [s[0], s[1], s[2], 255]
            : [s[0], s[1], s[2], s[3]]
    rgba.set([r, g, b, a], p * 4)
  }

  return {
    width,
    height,
    rgba,
    at: (x, y) => [...rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)] as [number, number, number, number],
  }
}
