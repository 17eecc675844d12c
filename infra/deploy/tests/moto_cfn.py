"""moto's server for the deploy rehearsal: single-threaded, with moto 5.2.5's change-set execution completed.

moto executes a change set by updating the stack's resources only: the stack keeps the outputs of the empty
template it was created with (none), registers no exports, and a CREATE change set's stack cannot import the
exports of other stacks; and a change set lists no change for a resource whose parameters alone changed (a new
code key), although executing it updates that resource; and a function built from a template ignores its
`Architectures` (always x86_64). CreateStack/UpdateStack do all of this right. These
patches make the change-set calls do what those already do, so the deploy tool reads outputs, resolves
Fn::ImportValue and sees its changes exactly as against CloudFormation; nothing else about moto changes.
Usage: python moto_cfn.py PORT
"""
import sys

from moto.awslambda.models import LambdaFunction
from moto.cloudformation import models
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

_create_change_set = models.CloudFormationBackend.create_change_set
_execute_change_set = models.CloudFormationBackend.execute_change_set


def create_change_set(self, stack_name, *args, **kwargs):
    """A new stack (CREATE change set) sees the region's exports, as CreateStack's stack does."""
    result = _create_change_set(self, stack_name, *args, **kwargs)
    stack = self.stacks[result[1]]
    stack.cross_stack_resources = self.exports
    stack.resource_map.cross_stack_resources = self.exports
    return result


def execute_change_set(self, change_set_name, stack_name=None):
    """After moto applies the resources: the stack's parameters, outputs and exports, as UpdateStack sets them."""
    _execute_change_set(self, change_set_name, stack_name)
    change_set = self.describe_change_set(change_set_name)
    stack = self.stacks[change_set.stack_id]
    stack.parameters = change_set.parameters
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    for name in [name for name, export in self.exports.items() if export.exporting_stack_id == stack.stack_id]:
        self.exports.pop(name)
    for export in stack.exports:
        self.exports[export.name] = export


def diff(self):
    """The resources the change set modifies, parameters included (as UpdateStack's execution computes them)."""
    by_action = self.stack.resource_map.build_resource_diff(self.template_dict, self.parameters)
    old = self.stack.resource_map._resource_json_map
    new = self.template_dict.get("Resources", {})
    return [
        models.Change(action=action, logical_resource_id=name, resource_type=(new.get(name) or old[name])["Type"])
        for action, names in by_action.items()
        for name in names
    ]


_create_function = LambdaFunction.create_from_cloudformation_json.__func__


def create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """The function's `Architectures` as the template sets them (CreateFunction through the API honours them)."""
    function = _create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    architectures = cloudformation_json["Properties"].get("Architectures")
    if architectures:
        function.architectures = architectures
    return function


LambdaFunction.create_from_cloudformation_json = classmethod(create_function)
models.ChangeSet.diff = diff
models.CloudFormationBackend.create_change_set = create_change_set
models.CloudFormationBackend.execute_change_set = execute_change_set

port = int(sys.argv[1])
app = DomainDispatcherApplication(create_backend_app)
run_simple("127.0.0.1", port, app, threaded=False, processes=1, use_reloader=False, use_debugger=False)
