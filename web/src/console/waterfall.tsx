// A run's trace as a waterfall: one row per span, nested as the spans are (an ordered list in a
// list, so a screen reader hears the nesting), its bar placed by start and sized by duration against
// the whole run, its status as a colour and a word, its attributes folded away in a <details>.
import { formatDuration } from './format'
import type { WaterfallSpan } from './waterfall-model'

/** Deeper spans are indented no further (the CSS has a class per level up to here). */
const MAX_INDENT = 6
/** A bar never thinner than this (% of the run): a 0 ms span still shows where it was. */
const MIN_BAR_PCT = 0.4

/** `tree` as `layoutWaterfall` placed it; `label` names the list of spans. */
export function Waterfall({ tree, label }: { tree: WaterfallSpan; label: string }) {
	return (
		<div class="waterfall">
			<div class="span-row span-head" aria-hidden="true">
				<span>Span</span>
				<span class="span-axis">
					<span>0</span>
					<span>{formatDuration(tree.durationMs)}</span>
				</span>
				<span class="num">Duration</span>
				<span>Status</span>
			</div>
			<ol class="span-list" aria-label={label}>
				<SpanItem node={tree} />
			</ol>
		</div>
	)
}

function SpanItem({ node }: { node: WaterfallSpan }) {
	const { span } = node
	const indent = `depth-${Math.min(node.depth, MAX_INDENT)}`
	const duration = formatDuration(node.durationMs)
	const attributes = Object.entries(span.attributes)
	const left = Math.min(node.offsetPct, 100 - MIN_BAR_PCT)
	return (
		<li class="span-item" data-span={span.id}>
			<div class="span-row">
				<span class={`span-name ${indent}`}>
					{span.name} <span class="muted span-kind">{span.kind}</span>
				</span>
				<svg class="span-track" role="img" aria-label={`${span.name}: ${duration}`}>
					<rect
						class={`span-bar bar-${span.status}`}
						x={`${left}%`}
						y="3"
						width={`${Math.max(node.widthPct, MIN_BAR_PCT)}%`}
						height="12"
						rx="2"
					/>
				</svg>
				<span class="num">{duration}</span>
				<span>
					<span class={`status status-${span.status}`}>{span.status}</span>
				</span>
			</div>
			{attributes.length > 0 && (
				<details class={`span-attributes ${indent}`}>
					<summary>
						Attributes<span class="visually-hidden"> of {span.name}</span>
					</summary>
					<dl>
						{attributes.map(([name, value]) => (
							<div key={name}>
								<dt>{name}</dt>
								<dd>
									<code>{String(value)}</code>
								</dd>
							</div>
						))}
					</dl>
				</details>
			)}
			{node.children.length > 0 && (
				<ol class="span-list">
					{node.children.map((child) => (
						<SpanItem key={child.span.id} node={child} />
					))}
				</ol>
			)}
		</li>
	)
}
