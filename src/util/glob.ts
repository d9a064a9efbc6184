/** The one id glob: `*` matches any text (including none); every other character is literal. */
export function globRegExp(glob: string): RegExp {
  return new RegExp(
    '^' +
      glob
        .split('*')
        .map((s) => s.replaceAll(/[.+?^${}()|[\]\\]/g, String.raw`\$&`))
        .join('.*') +
      '$',
  )
}

/** Whether an id matches a glob. */
export function globMatch(glob: string, id: string): boolean {
  return glob.includes('*') ? globRegExp(glob).test(id) : glob === id
}
