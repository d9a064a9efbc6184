/** What a thrown value says, read without casts: its message (first line kept by callers), name and codes. */
export interface ErrorInfo {
  message: string
  name: string
  /** Node's and nodemailer's string codes (ECONNREFUSED, EAUTH, ETLS…). */
  code?: string
  /** An SMTP reply code (nodemailer). */
  responseCode?: number
}

export function errorInfo(error: unknown): ErrorInfo {
  if (!(error instanceof Error)) return {message: String(error), name: 'Error'}
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined
  const responseCode =
    'responseCode' in error && typeof error.responseCode === 'number' ? error.responseCode : undefined
  return {
    message: error.message,
    name: error.name,
    ...(code === undefined ? {} : {code}),
    ...(responseCode === undefined ? {} : {responseCode}),
  }
}
