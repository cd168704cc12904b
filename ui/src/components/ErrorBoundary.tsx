// Keeps one broken view from blanking the whole window: shows what failed and a way back.

import { Component, type ReactNode } from "react";

interface Props {
  children: ReactNode;
  onReset: () => void;
}

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error): void {
    console.error("view failed to render", error);
  }

  private reset = () => {
    this.setState({ error: null });
    this.props.onReset();
  };

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <div className="banner banner-error" role="alert">
        <span>This view could not be shown: {this.state.error.message}</span>
        <button type="button" className="link" onClick={this.reset}>
          Go back
        </button>
      </div>
    );
  }
}
