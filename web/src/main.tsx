// Entry point: mounts the app. Everything the page runs comes from this bundle — no inline script
// or style anywhere, so the Content-Security-Policy needs no 'unsafe-inline'.
import { render } from 'preact'
import { App } from './app'
import './styles.css'

const root = document.getElementById('app')
if (root) render(<App />, root)
