"""The static cost of an operation: how many objects it may make the hub resolve.

Computed from the document alone, before anything runs, in the spirit of the IBM
GraphQL cost specification and Apollo's demand control:

- a field of an object type costs 1 for each object it returns, plus what its own
  selection costs for each of them; scalars and enums cost 0;
- a connection's `edges` return `first` objects, or the page size the resolvers use
  when `first` is not given (`gateway.domain.paging.MAX_PAGE`); `first` may come from a
  variable;
- a plain list returns its assumed size (`LIST_SIZES`, an `@listSize` per field);
- sizes multiply through the nesting, so `clusters -> members -> offers` costs
  clusters x members x offers.

Fragments (named and inline) are counted where they are spread, all of them (an upper
bound where only one type condition can match; `@skip`/`@include` are counted too).
Introspection fields cost 1 flat: they read the schema, whose size is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)

from gateway.domain.paging import MAX_PAGE

LIST_SIZES: dict[str, int] = {
    # How many items a plain list field is assumed to return: a generous typical size,
    # from the demo data (9-25 members a cluster, 2-56 offers a cluster, 1-4 skills an
    # offer) and the synthetic benchmark data (333 clusters, 12,500 organisations).
    "Query.skills": 250,  # the whole taxonomy when no `search` narrows it
    "Cluster.members": 50,
    "Organisation.memberships": 3,
    "Organisation.offers": 10,
    "Organisation.needs": 10,
    "Offer.skills": 5,
    "Offer.capabilities": 5,
    "Need.capabilities": 5,
    "Need.requiredSkills": 5,
    "Need.optionalSkills": 5,
    "Skill.related": 5,
    "Match.suggestedTrainings": 3,
    "MatchExplanation.matchedSkills": 5,
    "MatchExplanation.relatedSkills": 5,
    "MatchExplanation.missingSkills": 5,
    "CoverageReport.bySkill": 25,
    "CoverageReport.unmet": 25,
}
"""Assumed sizes of plain lists of objects, by `Type.field` (lists of scalars cost 0)."""

DEFAULT_LIST_SIZE = 10
"""The assumed size of a list of objects that `LIST_SIZES` does not name."""

PAGE_ARGUMENT = "first"
"""A field taking it is a connection: its `edges` return that many objects."""

SIZED_FIELD = "edges"

INTROSPECTION_COST = 1

_ROOTS = {"query": "query_type", "mutation": "mutation_type", "subscription": "subscription_type"}


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int | None:
    """The cost of the operation that would run; None when none can be chosen (GraphQL
    itself reports that). Tolerates invalid documents: validation runs alongside."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return None
    operation = operations[0]
    root = getattr(schema, _ROOTS[operation.operation.value])
    if root is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    given = dict(variables or {})
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None and definition.variable.name.value not in given:
            given[definition.variable.name.value] = _literal(definition.default_value)
    return _Costing(schema, fragments, given).selection(operation.selection_set, root, page=None)


class _Costing:
    """One costing pass; remembers each fragment's cost where it was spread, so a document
    that spreads fragments inside fragments costs linear time, not exponential."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.known: dict[tuple[str, int | None], int] = {}
        self.spreading: set[str] = set()

    def selection(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, page: int | None
    ) -> int:
        """The cost of a selection on `parent`; `page` is the page size when `parent` is a
        connection, for its `edges`."""
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, page)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, on or parent, page)
            elif isinstance(node, FragmentSpreadNode):
                total += self.spread(node.name.value, page)
        return total

    def spread(self, name: str, page: int | None) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.spreading:
            return 0  # unknown or cyclic: validation refuses the document
        on = self.schema.get_type(fragment.type_condition.name.value)
        if on is None:
            return 0
        key = (name, page)
        if key not in self.known:
            self.spreading.add(name)
            self.known[key] = self.selection(fragment.selection_set, on, page)
            self.spreading.discard(name)
        return self.known[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0 if name == "__typename" else INTROSPECTION_COST
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0  # validation reports it
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return 0
        arguments = {a.name.value: a.value for a in node.arguments or ()}
        connection = PAGE_ARGUMENT in definition.args
        inner = self.selection(
            node.selection_set, named, self._page(arguments) if connection else None
        )
        return self._count(parent.name, name, definition.type, arguments, page) * (1 + inner)

    def _count(
        self,
        parent: str,
        name: str,
        kind: GraphQLOutputType,
        arguments: dict[str, ValueNode],
        page: int | None,
    ) -> int:
        """How many objects the field returns."""
        if isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        if not isinstance(kind, GraphQLList):
            return 1
        if name == SIZED_FIELD and page is not None:
            return page
        if name == "_entities":  # federation: one object per representation
            representations = self._value(arguments.get("representations"))
            if isinstance(representations, list):
                return len(representations)
        return LIST_SIZES.get(f"{parent}.{name}", DEFAULT_LIST_SIZE)

    def _page(self, arguments: dict[str, ValueNode]) -> int:
        first = self._value(arguments.get(PAGE_ARGUMENT))
        if isinstance(first, int) and not isinstance(first, bool):
            return max(first, 0)
        return MAX_PAGE  # what the resolvers return when `first` is not given

    def _value(self, node: ValueNode | None) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        return _literal(node)


def _literal(node: ValueNode | None) -> Any:
    """A literal's value, as far as costing needs one: integers and list lengths."""
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return list(node.values)
    return None
