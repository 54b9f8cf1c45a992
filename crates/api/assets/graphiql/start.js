// GraphiQL against this server's /graphql. With private reads, put the token in the Headers
// tab: {"Authorization": "Bearer styrhub_…"}.
const fetcher = GraphiQL.createFetcher({ url: new URL("/graphql", window.location.href).href });
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true, isHeadersEditorEnabled: true }),
);
