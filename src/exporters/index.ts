import type {ExportInput} from './input.js'
import {cacaoExport} from './cacao.js'
import {csvExport} from './csv.js'
import {htmlExport} from './html.js'
import {jsonExport} from './json.js'
import {markdownExport} from './markdown.js'

export const EXPORT_FORMATS = ['md', 'json', 'csv', 'html', 'cacao'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export function renderExport(format: ExportFormat, input: ExportInput): string {
  switch (format) {
    case 'md': {
      return markdownExport(input)
    }

    case 'json': {
      return jsonExport(input)
    }

    case 'csv': {
      return csvExport(input)
    }

    case 'html': {
      return htmlExport(input)
    }

    case 'cacao': {
      return cacaoExport(input)
    }
  }
}
